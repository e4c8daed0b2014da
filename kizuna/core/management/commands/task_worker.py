import logging
import os
import socket
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connections
from django.tasks import task_backends
from rq import Worker

from kizuna.core.tasks_redis import RedisTaskBackend


class Command(BaseCommand):
    help = (
        "Run a task worker of the Redis backend (KIZUNA_TASKS_BACKEND=redis): it takes tasks "
        "from the queues, runs each in a child process, retries failed ones with backoff and "
        "runs again the tasks of workers that died. Run as many as needed, on any machine. "
        "With the database backend, run `manage.py db_worker` instead."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--queue", action="append", dest="queues", help="A queue to serve (default: all)."
        )
        parser.add_argument("--burst", action="store_true", help="Stop when the queues are empty.")
        parser.add_argument("--name", default=None, help="The worker's name (host.pid).")
        parser.add_argument(
            "--stats", action="store_true", help="Print the queues' counts as JSON and exit."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        backend = task_backends["default"]
        if not isinstance(backend, RedisTaskBackend):
            raise CommandError(
                "The task backend is not Redis (KIZUNA_TASKS_BACKEND); run manage.py db_worker."
            )
        if options["stats"]:
            import json

            self.stdout.write(json.dumps(backend.stats()))
            return
        names = options["queues"] or sorted(backend.queues)
        unknown = set(names) - backend.queues
        if unknown:
            raise CommandError(f"Unknown queue(s): {', '.join(sorted(unknown))}.")
        # Jobs run in forked children: none may inherit an open database connection.
        connections.close_all()
        worker = Worker(
            [backend.queue(name) for name in names],
            connection=backend.connection,
            name=options["name"] or f"{socket.gethostname()}.{os.getpid()}",
        )
        level = logging.getLevelName(logging.getLogger().getEffectiveLevel())
        worker.work(burst=options["burst"], with_scheduler=True, logging_level=level)
