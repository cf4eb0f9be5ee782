"""The Arabic event coder: pure functions from a cleaned article to ACLED/CAMEO/PLOVER events.

Its per-article modules run compiled by Cython when a current build exists (``marsad.compiled``).
"""

from pathlib import Path

from marsad.compiled import use_compiled

# The lexicons, gazetteer and number words. Named here, in the source tree: a compiled
# module's ``__file__`` is in build/compiled/.
DATA_DIR = Path(__file__).resolve().parent / "data"

use_compiled(__name__, __path__)
