"""One spec object per action type, grouped by platform; `rollback.registry` assembles them."""
