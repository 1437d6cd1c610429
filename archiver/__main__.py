"""`python -m archiver` and the `archiver` command (pyproject's script entry point).

Why a module of its own, importing nothing at the top: a check worker process is spawned, and
spawn re-runs the imports of the parent's script (`from archiver.__main__ import main`) in every
worker before the worker's own code. Were that `archiver.cli` (click, the store, the checker:
about 0.8 s), a worker killed during start-up could outlive its parent by as long."""


def main():
    from .cli.main import main as cli

    return cli()


if __name__ == "__main__":
    main()
