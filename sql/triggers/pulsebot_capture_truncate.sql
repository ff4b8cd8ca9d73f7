CREATE OR REPLACE TRIGGER pulsebot_capture_truncate AFTER TRUNCATE ON public.api_usage FOR EACH STATEMENT EXECUTE FUNCTION pulsebot.capture_usage_truncate();
