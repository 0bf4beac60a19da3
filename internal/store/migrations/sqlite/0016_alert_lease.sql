-- An alert's claim is a lease: an instance killed between claiming an
-- alert and recording the webhook's answer leaves it unsent, and another
-- instance sends it once claimed_until has passed (ReclaimAlerts). 0: not
-- leased (sent, given up, or claimed by a release without leases, which
-- nobody reclaims). Additive: older releases insert 0.
ALTER TABLE alerts ADD COLUMN claimed_until INTEGER NOT NULL DEFAULT 0;
