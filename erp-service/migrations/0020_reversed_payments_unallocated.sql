-- A reversed payment has nothing unallocated: none of it is the customer's
-- credit any more (balances already counted only posted payments' credit).
UPDATE payments SET unallocated = 0 WHERE status = 'REVERSED' AND unallocated <> 0;
