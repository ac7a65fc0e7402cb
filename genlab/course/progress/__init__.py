"""Progress: the gradebook read into statuses, the managers' report and dashboard, certificates.

- ``states``: the one vocabulary (not started, submitted, needs manual grading, graded; passed and
  below pass mark), its colours and what each means.
- ``gradebook``: nbgrader's gradebook read into learner × assignment rows; ``programme``: the
  levels, order, due dates and pass marks of workshops/programme.toml.
- ``pseudonyms``: stable salted pseudonyms for data that leaves the training team.
- ``dashboard``: the view model every output draws (``Dashboard``); ``formats``: how numbers and
  days are written.
- ``figures`` (matplotlib: heatmap, bars, scores, snapshot PNG, PDF), ``exports`` (pandas: CSV,
  XLSX), ``html`` + ``templates/`` (Jinja2: the self-contained page).
- ``report`` (``genlab report``) and ``certificates`` (``genlab course certificates``), sharing
  their command-line options through ``options``.
"""
