"""Entry point: ``python main.py`` is the same as the ``outputhub`` command."""

import os
import sys

if __name__ == '__main__':  # not in a multiprocessing child (native window)
    if os.environ.get('NICEGUI_USER_SIMULATION'):
        # pytest's user fixture runs this file: settings come from the environment, not argv.
        from app import config, server
        from app.cli import prepare_process

        prepare_process()
        server.run(config.settings_from_env())
    else:
        from app.cli import main

        sys.exit(main())
