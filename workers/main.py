"""Worker entry point for process managers that prefer `python -m workers.main`.

Equivalent to `hotline worker`: RQ jobs, the outbox relay and periodic tasks.
"""

from hotline.cli import settings_or_exit
from hotline.worker import run_worker


def main() -> None:
    run_worker(settings_or_exit())


if __name__ == "__main__":
    main()
