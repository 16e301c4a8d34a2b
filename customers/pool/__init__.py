"""The public pool (公海): claiming, releasing, assigning, transferring and the reclaim rules.

Rules of the game (docs/pool.md):

- Who may do what: anyone whose position may change records (`can_claim`) claims from the pool
  for themselves; whoever changes a team's or everyone's records (`can_manage_pool`: managers,
  VPs, admins) also assigns pool customers and transfers customers among the people they reach.
- Caps and cooldown (PoolSettings) bind claims. An assignment by a manager respects the owned
  cap (it adds to a rep's load like a claim) but not the daily cap or the cooldown; transfers and
  hand-overs move existing customers and check no cap (a leaving rep's book must move whole).
- The cooldown counts every way a customer leaves a rep for the pool (reclaimed by a rule,
  released by hand, emptied by an import): otherwise "release then claim back" would reset the
  reclaim clock.
- Reclaim works in whole days of the display time zone, so the outcome does not depend on the
  hour the daily task runs and matches the date shown in the owner's warning.

Lock order, everywhere: user rows first, then customer rows by primary key, so two services
never wait on each other in opposite orders.
"""

from customers.pool.claims import (  # noqa: F401 (the package's API)
    MAX_BULK,
    RECLAIM_BATCH,
    BulkResult,
    PoolError,
    PoolWarning,
    assignable_users,
    can_claim,
    can_configure_pool,
    can_manage_pool,
    claims_today,
    owned_count,
    pool_claim,
    pool_release,
)
from customers.pool.moves import (  # noqa: F401 (the package's API)
    HANDOVER_STEPS,
    HandoverStep,
    customers_transfer,
    pool_assign,
    rep_handover,
    rep_handover_preview,
)
from customers.pool.rules import (  # noqa: F401 (the package's API)
    pool_reclaim_run,
    pool_rule_save,
    pool_settings_update,
    pool_warnings,
    reference_day,
)
