CREATE OR REPLACE TRIGGER pulsebot_capture_delete AFTER DELETE ON public.api_usage REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION pulsebot.capture_usage_delete();
