"""The graded course: nbgrader operations, safe autograding, progress reports, certificates.

nbgrader is the engine (course root: ``exercises/``); this package closes its gaps for trainers.

The trainer's cycle from Python (the same calls ``genlab course ...`` makes)::

    from genlab import course
    course.import_learners("cohort.csv")            # id,name,email,team
    course.release("01_first_images")               # generate + hand out
    course.collect("01_first_images")               # bring in submissions
    run = course.autograde("01_first_images")       # sandboxed, restartable
    course.feedback("01_first_images")              # HTML without hidden tests, released
    course.status()                                 # what is where
    course.check("my-assignments/01_first_images/01_first_images.ipynb")   # a learner's check
"""

_LAZY = {
    "release": ("genlab.course.nbgrader_ops", "release_and_generate"),
    "collect": ("genlab.course.nbgrader_ops", "collect_assignment"),
    "status": ("genlab.course.nbgrader_ops", "course_status"),
    "add_learners": ("genlab.course.learners", "add_learners"),
    "import_learners": ("genlab.course.learners", "import_learners"),
    "read_roster": ("genlab.course.learners", "read_roster"),
}


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        module, attr = _LAZY[name]
        return getattr(importlib.import_module(module), attr)
    if name in ("autograde", "feedback", "check"):  # callable modules: course.autograde(...)
        import importlib

        return importlib.import_module(f"genlab.course.grading.{name}")
    raise AttributeError(f"module 'genlab.course' has no attribute {name!r}")
