"""nbgrader settings for the genlab course. The course root is this folder (exercises/).

Trainers run nbgrader from here (`cd exercises && nbgrader generate_assignment 01_first_images`);
JupyterLab started at the repository root reads this file through ../nbgrader_config.py.

Folders nbgrader uses inside the course root (all ignored by git):
    source/<assignment>/      the notebooks with solutions and hidden tests (committed)
    release/<assignment>/     the learner version (made by `nbgrader generate_assignment`)
    submitted/<learner>/...   what `nbgrader collect` brought in
    autograded/, feedback/    nbgrader's results; the scores live in gradebook.db
    .exchange/                the hand-over folder between trainer and learners on one computer

Environment overrides, for JupyterHub or a shared server:
    GENLAB_EXCHANGE           the exchange folder everyone can write (e.g. /srv/nbgrader/exchange)
    GENLAB_ASSIGNMENT_DIR     where a learner's fetched assignments go (default: <repo>/my-assignments)

Pinned together: nbgrader 0.9.6 with JupyterLab 4.6; the labextension (Assignments, Formgrader,
Validate) works out of the box with that pair (jupyter/nbgrader#1948, #1866).
"""

import os
from pathlib import Path

c = get_config()  # noqa: F821 -- provided by traitlets when nbgrader or Jupyter loads this file

COURSE_ROOT = Path(__file__).resolve().parent
REPO_ROOT = COURSE_ROOT.parent


def _folder(env_name: str, default: Path) -> str:
    value = os.environ.get(env_name, "").strip()
    return str(Path(value).expanduser().resolve() if value else default)


# ---- the course ---------------------------------------------------------------------------------
c.CourseDirectory.course_id = "genlab"
c.CourseDirectory.root = str(COURSE_ROOT)
# Never copied between trainer and learners: caches, and each exercise's `outputs/` folder (the
# exercise empties and refills it on every run, so graders only see pictures made in that run).
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback", "outputs"]

# ---- hand-over between trainer and learners ----------------------------------------------------
c.Exchange.root = _folder("GENLAB_EXCHANGE", COURSE_ROOT / ".exchange")
c.Exchange.assignment_dir = _folder("GENLAB_ASSIGNMENT_DIR", REPO_ROOT / "my-assignments")
c.Exchange.path_includes_course = False
# A fetched exercise comes in the learner's language (genlab lab --lang es|en, else the locale):
# only its text changes; the code, the checks and the grades are the same in both.
c.ExchangeFactory.fetch_assignment = "genlab.course.exchange.LocalizedFetchAssignment"

# ---- running notebooks while grading -----------------------------------------------------------
# Seconds allowed per cell. The tiny model loads in ~8 s and draws a picture in under a second on
# a laptop CPU; the margin covers a busy machine. Raise it for real models on a slow GPU:
#   nbgrader autograde 01_first_images --Execute.timeout=600
c.Execute.timeout = 180
c.ExecutePreprocessor.timeout = 180

# ---- what learners see in place of the solutions -----------------------------------------------
# In English here; a learner who fetches in Spanish gets them in Spanish (their translations are in
# assets/locale/es/LC_MESSAGES/exercise-stubs.po; a test keeps the two in step).
c.ClearSolutions.code_stub = {
    "python": (
        "# Write your answer here, then run the cell.\n"
        'raise NotImplementedError("Not answered yet: replace these two lines with your answer.")'
    )
}
c.ClearSolutions.text_stub = "Write your answer here, in your own words."

# ---- grading ------------------------------------------------------------------------------------
# An answer cell a learner left as fetched (in Spanish or English) counts as unanswered: 0 points,
# no manual grading (genlab/course/preprocessors/unanswered.py), then nbgrader's own steps.
from nbgrader.preprocessors import CheckCellMetadata, ClearOutput, DeduplicateIds, OverwriteCells, OverwriteKernelspec  # noqa: E402

from genlab.course.preprocessors import LanguageExecute, RestoreUnanswered  # noqa: E402

c.Autograde.sanitize_preprocessors = [
    RestoreUnanswered, ClearOutput, DeduplicateIds, OverwriteKernelspec, OverwriteCells, CheckCellMetadata,
]
# Grading runs each notebook in its learner's language (the fetched notebook's metadata), so the
# checks' messages and the feedback read in it: nbgrader 0.9.6's own list, its Execute step swapped
# (`genlab course autograde` swaps it for its sandboxed one, which does the same).
from nbconvert.preprocessors import ClearMetadataPreprocessor  # noqa: E402
from nbgrader.preprocessors import AssignLatePenalties, IgnorePattern, LimitOutput, SaveAutoGrades  # noqa: E402

c.Autograde.autograde_preprocessors = [
    LanguageExecute, IgnorePattern, ClearMetadataPreprocessor, LimitOutput, SaveAutoGrades, AssignLatePenalties,
    CheckCellMetadata,
]
