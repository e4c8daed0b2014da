from django.apps import AppConfig


class VouchersConfig(AppConfig):
    name = "kizuna.vouchers"
    label = "vouchers"
    verbose_name = "Vouchers and gift cards"

    def ready(self) -> None:
        from kizuna.core.imports.kinds import register_import_kind
        from kizuna.core.ledgers import register_ledger_check
        from kizuna.vouchers import (  # noqa: F401  (events declares the event types)
            customer_data,
            events,
            jobs,
        )
        from kizuna.vouchers.services import codes_import, verify

        jobs.register()
        customer_data.register()
        register_import_kind(codes_import.VOUCHER_CODES)
        register_ledger_check("gift_cards", verify.verify_gift_cards)
