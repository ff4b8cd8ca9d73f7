-- pulsebot alerting: state per rule × scope, silences, episode log (being written)
select 1;
