"""The HTML pages: finder, embed widget, planner, registry upload, editing, audit log."""
