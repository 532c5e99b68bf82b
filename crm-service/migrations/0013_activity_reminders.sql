-- Due reminders: a task whose reminder_time has come records an
-- activity.reminder_due event once, for another system to send.
-- reminded_for is the reminder_time the event was recorded for, so a
-- reminder moved later fires again.
ALTER TABLE activities ADD COLUMN reminded_for timestamptz;
CREATE INDEX activities_reminders_due_idx ON activities (reminder_time)
  WHERE NOT done AND reminder_time IS NOT NULL AND reminded_for IS DISTINCT FROM reminder_time;
