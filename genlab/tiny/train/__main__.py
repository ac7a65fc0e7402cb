"""``python -m genlab.tiny.train image|motion|preview ...`` (the same as ``genlab tiny train``)."""

from genlab.tiny.train.cli import main

raise SystemExit(main())
