-- Logs an UPDATE of api_usage as the old rows (−1) and the new ones (+1), in the writer's
-- transaction. Per statement, through the transition tables: a multi-row statement pays once. A
-- statement aimed at a partition does not fire it: write through api_usage.
CREATE OR REPLACE TRIGGER pulsebot_capture_update AFTER UPDATE ON public.api_usage REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION pulsebot.capture_usage_update();
