"""What the complaints app announces to the apps above it, so that it imports none of them.

Both signals are sent *inside* the step's durable transaction (never after
commit): whatever a receiver writes commits or rolls back with the step, and a
receiver that raises ProcedureError refuses the step. The letters app listens,
to owe, make and cancel the letters the registry names (P3.4, P3.7, P3.8).

`step_taken` is sent after the complaint's new state is saved and before the
step's timeline event is written; a receiver may return a dict, which is added
to that event's details (so the event says, for example, which letters a
reopening cancelled). Arguments: `step` (a `Step`), `complaint`, `actor`,
`data` (what the step records), `letter_data` (details for the letter owed).

`complaint_registered` is sent once a new complaint is written, before its
first events are (they go in one statement). Arguments: `complaint`, `actor`,
`acknowledge` (whether the complainant is to get an acknowledgement), `events`
(a list of unsaved timeline events a receiver may append to; they are written
with the complaint's own). The complaint's reference is not numbered yet: it is
numbered last in the transaction (`services._number`), so a receiver must not
store it.
"""

from __future__ import annotations

from django.dispatch import Signal

step_taken = Signal()
complaint_registered = Signal()
