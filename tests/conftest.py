"""Shared test settings: offline always, quiet progress bars, a temp Gradio folder."""

import os
import tempfile

os.environ["HF_HUB_OFFLINE"] = "1"  # nothing in the tests may touch the network
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("GRADIO_TEMP_DIR", tempfile.mkdtemp(prefix="genlab-gradio-"))
os.environ.setdefault("TQDM_DISABLE", "1")
os.environ.setdefault("GENLAB_PROFILE", "tiny")
# Messages outside a browser follow the reader's language (Spanish unless chosen); the tests read the
# English ones unless a test asks for Spanish (GENLAB_LANG=es, or a notebook rendered in es).
os.environ.setdefault("GENLAB_LANG", "en")
