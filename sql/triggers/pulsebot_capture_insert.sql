-- Logs the rows an INSERT or COPY adds to api_usage with sign +1, in the writer's transaction. Per
-- statement, through the transition table: a multi-row statement pays once, not once per row. A
-- statement aimed at a partition does not fire it: write through api_usage.
CREATE OR REPLACE TRIGGER pulsebot_capture_insert AFTER INSERT ON public.api_usage REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION pulsebot.capture_usage_insert();
