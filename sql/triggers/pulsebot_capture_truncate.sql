-- TRUNCATE api_usage cannot be captured row by row: its trigger marks the rollups for a rebuild.
CREATE OR REPLACE TRIGGER pulsebot_capture_truncate AFTER TRUNCATE ON public.api_usage FOR EACH STATEMENT EXECUTE FUNCTION pulsebot.capture_usage_truncate();
