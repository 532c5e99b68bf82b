-- The campaign list's channel filter compares lower(channel) (ignoring
-- case), in id order like every list. Channels are stored trimmed from now
-- on; ones stored padded before keep their padding until next written, as
-- names do.
CREATE INDEX campaigns_channel_idx ON campaigns (lower(channel), id);
