"""The ground everything stands on: settings, the one error shape, the database and the event log."""
