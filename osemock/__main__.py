"""``python -m osemock`` runs the command line."""
from osemock.cli import main

raise SystemExit(main())
