"""Rebuild the shipped sentiment head from the labelled examples (see docs/sentiment.md)."""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from kizuna.textanalytics.encoder import ENCODERS
from kizuna.textanalytics.training import train


class Command(BaseCommand):
    help = "Train the sentiment head from data/train and write data/head.npz and head.json."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--encoder",
            choices=sorted(ENCODERS),
            default="use",
            help="The sentence encoder: use (the default analyzer) or e5 (the accurate one).",
        )
        parser.add_argument(
            "--output",
            type=Path,
            default=None,
            help="Where to write the weights (.npz); the card goes beside it (.json). "
            "Default: the encoder's shipped head in kizuna/textanalytics/data/.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        card = train(
            log=self.stdout.write, encoder=options["encoder"], weights_path=options["output"]
        )
        self.stdout.write(
            f"Wrote the head: {card['training_examples']} examples, "
            f"checksum {card['training_checksum']}, dev macro-F1 {card['dev_macro_f1_four_labels']}"
        )
