-- Logs the rows a DELETE removes from api_usage with sign −1, in the writer's transaction. Per
-- statement, through the transition table: a multi-row statement pays once, not once per row. A
-- statement aimed at a partition does not fire it: write through api_usage.
CREATE OR REPLACE TRIGGER pulsebot_capture_delete AFTER DELETE ON public.api_usage REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION pulsebot.capture_usage_delete();
