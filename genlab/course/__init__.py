"""The graded course: nbgrader operations, safe autograding, progress reports, certificates.

nbgrader is the engine (course root: ``exercises/``); this package closes its gaps for trainers.
"""
