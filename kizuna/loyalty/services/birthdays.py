"""Birthday points: a daily job gives each member of a live program with birthday rules what
those rules award, once a year, on the birthday as the program's time zone counts days (a
29 February birthday falls on 28 February in other years).

Members only: a birthday opens no account, even under automatic enrolment (a customer who
never took part is not enrolled by the calendar). Safe when two jobs run at once and when run
again: each member's account is locked, then the year's award looked for, before earning."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import Q

from kizuna.core.clock import now
from kizuna.loyalty.locks import lock_accounts
from kizuna.loyalty.models import Account, LedgerEntry, Program, ProgramStatus
from kizuna.loyalty.services import earning, tiers
from kizuna.loyalty.services.facts import customer_fact
from kizuna.loyalty.services.ledger import Source
from kizuna.loyalty.services.setup import setup_of

BATCH = 500


def _born_on(day: date) -> Q:
    born = Q(customer__birthdate__month=day.month, customer__birthdate__day=day.day)
    leap_day_elsewhere = day.month == 2 and day.day == 28 and (day + timedelta(days=1)).day == 1
    if leap_day_elsewhere:
        born |= Q(customer__birthdate__month=2, customer__birthdate__day=29)
    return born


def _source(day: date) -> Source:
    return Source("birthday", str(day.year))


def award_program(program: Program, moment: datetime, batch: int = BATCH) -> int:
    """The program's birthday points for the day `moment` falls on; returns the members who
    got them."""
    rules = setup_of(program).rules_for("birthday")
    if not rules:
        return 0
    day = moment.astimezone(ZoneInfo(program.timezone)).date()
    source = _source(day)
    candidates = (
        Account.objects.filter(program=program, customer__erased_at__isnull=True)
        .filter(_born_on(day))
        .exclude(
            pk__in=LedgerEntry.objects.filter(
                account__program=program, source_type=source.type, source_id=source.id
            ).values("account_id")
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    done = 0
    last = 0
    while ids := list(candidates.filter(pk__gt=last)[:batch]):
        last = ids[-1]
        with transaction.atomic():
            accounts = lock_accounts(
                Account.objects.filter(pk__in=ids).select_related("customer", "tier")
            )
            taken = set(
                LedgerEntry.objects.filter(
                    account__in=accounts, source_type=source.type, source_id=source.id
                ).values_list("account_id", flat=True)
            )
            for account in accounts:
                if account.pk in taken:
                    continue
                account.program = program
                fact = customer_fact("birthday", source, account.customer, occurred_at=moment)
                outcome = earning.earn(program, account, fact, rules)
                done += 1 if outcome.points else 0
                if outcome.points:
                    tiers.review_after_earning(program, account, setup_of(program).tiers)
    return done


def award_due(moment: datetime | None = None) -> int:
    """Every live program's birthday points for today; returns the members who got them."""
    moment = moment or now()
    programs = Program.objects.filter(status=ProgramStatus.ACTIVE).select_related("workspace")
    return sum(award_program(program, moment) for program in programs.order_by("pk"))
