-- Emptying the fine daily histograms (a rebuild truncates them) empties their coarse bins too.
CREATE OR REPLACE TRIGGER latency_daily_total_clears_coarse AFTER TRUNCATE ON pulsebot.latency_daily_total FOR EACH STATEMENT EXECUTE FUNCTION pulsebot.clear_coarse_histograms();
