"""Progress: the gradebook read into statuses, the managers' report and dashboard, certificates."""
