"""Rebuild the shipped sentiment head from the labelled examples (see docs/sentiment.md)."""

from typing import Any

from django.core.management.base import BaseCommand

from kizuna.textanalytics.training import train


class Command(BaseCommand):
    help = "Train the sentiment head from data/train and write data/head.npz and head.json."

    def handle(self, *args: Any, **options: Any) -> None:
        card = train(log=self.stdout.write)
        self.stdout.write(
            f"Wrote the head: {card['training_examples']} examples, "
            f"checksum {card['training_checksum']}, dev macro-F1 {card['dev_macro_f1_four_labels']}"
        )
