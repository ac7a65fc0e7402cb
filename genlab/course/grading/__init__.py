"""Grading: sandboxed autograding, feedback without hidden tests, a learner's "check my work"."""
