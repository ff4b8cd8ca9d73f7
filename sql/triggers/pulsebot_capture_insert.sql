CREATE OR REPLACE TRIGGER pulsebot_capture_insert AFTER INSERT ON public.api_usage REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION pulsebot.capture_usage_insert();
