"""`manage.py load_demo`: the demo retailer, its customers and twelve months of their history.

Run again, it keeps the data and prints fresh credentials; `--reset` deletes and reloads it.
Seeded history writes no outbox events (see kizuna.demo.loader)."""

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from kizuna.core.clock import now
from kizuna.demo import catalog
from kizuna.demo.loader import Outcome, load_demo
from kizuna.feedback.models import Survey
from kizuna.feedback.services.links import public_link

DEFAULT_CUSTOMERS = 3000
DEFAULT_SEED = 2604


def _quiet(line: str) -> None:
    """-v 0: no progress lines; the credentials are printed all the same."""


class Command(BaseCommand):
    help = (
        f"Load the demo workspace {catalog.WORKSPACE_SLUG!r} ({catalog.WORKSPACE_NAME}): customers "
        "speaking English, Japanese and Korean, a year of orders, refunds, events and consent. "
        "Prints a staff login and API keys."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--customers",
            type=int,
            default=DEFAULT_CUSTOMERS,
            help=f"How many customers (default {DEFAULT_CUSTOMERS}).",
        )
        parser.add_argument(
            "--seed",
            type=int,
            default=DEFAULT_SEED,
            help=f"Random seed: the same seed gives the same data (default {DEFAULT_SEED}).",
        )
        parser.add_argument(
            "--reset", action="store_true", help="Delete the demo workspace first, then reload it."
        )
        parser.add_argument(
            "--base-url",
            default="http://127.0.0.1:8000",
            help="Where the server runs, for the printed examples.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        customers = options["customers"]
        if not 1 <= customers <= 1_000_000:
            raise CommandError("--customers is between 1 and 1000000.")
        started = time.perf_counter()
        anchor = now().replace(microsecond=0)
        report = self._say if options["verbosity"] >= 1 else _quiet
        outcome = load_demo(customers, options["seed"], anchor, options["reset"], report)
        self._summary(outcome, options["base_url"].rstrip("/"), time.perf_counter() - started)

    def _say(self, line: str) -> None:
        self.stdout.write(line)
        self.stdout.flush()

    def _summary(self, outcome: Outcome, base_url: str, seconds: float) -> None:
        c = outcome.counts
        ws = outcome.workspace
        out = self.stdout
        out.write("")
        if outcome.loaded:
            out.write(self.style.SUCCESS(f"Loaded the demo workspace {ws.slug} ({ws.name})."))
        else:
            out.write(
                self.style.WARNING(
                    f"The demo workspace {ws.slug} exists already: its data is kept as it is "
                    "(--reset reloads it). Fresh credentials follow."
                )
            )
        out.write(
            f"  {c.customers} customers, {c.orders} orders ({c.items} items), {c.refunds} refunds, "
            f"{c.events} custom events, {c.consent_changes} consent changes, "
            f"{c.timeline} timeline entries, {c.survey_responses} survey responses to three "
            "surveys (relationship-nps, post-purchase-csat, product-feedback)"
        )
        out.write(
            f"  default currency {ws.default_currency}; "
            "orders in USD (US), JPY (Japan), KRW (Korea)"
        )
        cred = outcome.credentials
        out.write("")
        out.write(self.style.MIGRATE_HEADING(f"Staff login ({base_url}/admin/)"))
        out.write(f"  email     {cred.email}")
        out.write(f"  password  {cred.password}")
        out.write(f"  role      {cred.role} (is_staff)")
        out.write(self.style.MIGRATE_HEADING("API keys (stored hashed: shown only now)"))
        out.write(f"  server       {cred.server_key}")
        out.write(f"  publishable  {cred.publishable_key}")
        out.write(self.style.MIGRATE_HEADING("Try"))
        auth = f'-H "Authorization: Bearer {cred.server_key}"'
        out.write(f'  curl -s {auth} "{base_url}/api/v1/customers?limit=3"')
        if outcome.sample_customer:
            path = f"/api/v1/customers/{outcome.sample_customer}/timeline?limit=10"
            out.write(f'  curl -s {auth} "{base_url}{path}"')
        self._survey_pages(outcome, base_url)
        out.write("")
        out.write(f"Done in {seconds:.1f} s.")

    def _survey_pages(self, outcome: Outcome, base_url: str) -> None:
        """A link to each demo survey's hosted page (its public link), and the widget's test
        page: answer in English, Japanese or Korean, then see the response in the results."""
        out = self.stdout
        cred = outcome.credentials
        out.write(self.style.MIGRATE_HEADING("Answer the surveys (hosted pages; ?lang=en|ja|ko)"))
        surveys = Survey.objects.for_workspace(outcome.workspace).order_by("key")
        for survey in surveys:
            survey.workspace = outcome.workspace
            out.write(f"  {survey.key:<20} {base_url}/s/{public_link(survey).token}")
        out.write(f"  widget test page     {base_url}/widget-demo?key={cred.publishable_key}")
        auth = f'-H "Authorization: Bearer {cred.server_key}"'
        for survey in surveys[:1]:
            out.write(
                f'  curl -s {auth} "{base_url}/api/v1/surveys/{survey.key}/responses?limit=1"'
            )
