/* Logging for libpresence: the library reports errors through a callback the
 * host installs (LM_* inside Kamailio, stderr or a capture buffer in tests). */
#ifndef LP_LOG_H
#define LP_LOG_H

enum lp_log_level { LP_L_ERR = 0, LP_L_WARN, LP_L_INFO, LP_L_DBG };

typedef void (*lp_log_fn)(int level, const char *msg);

/* NULL restores the default (stderr for ERR and WARN only). */
void lp_log_set(lp_log_fn fn);
void lp_log(int level, const char *fmt, ...)
		__attribute__((format(printf, 2, 3)));

#define LP_ERR(...) lp_log(LP_L_ERR, __VA_ARGS__)
#define LP_WARN(...) lp_log(LP_L_WARN, __VA_ARGS__)
#define LP_INFO(...) lp_log(LP_L_INFO, __VA_ARGS__)
#define LP_DBG(...) lp_log(LP_L_DBG, __VA_ARGS__)

/* Rate limit of one log site: the one mechanism for messages that a
 * remote party can trigger at will (a rejected request, a limit hit, a
 * server that does not answer), so they cannot flood the log. A site has a
 * rate of `burst` lines per window of `period` seconds; lines beyond it in
 * a window are counted, and the next line that goes out says how many were
 * left out. The state is per process (no lock): one static lp_log_rl_t per
 * site. */
#define LP_LOG_RL_PERIOD 10
/* Lines of one site per second for per-request reports (a request
 * rejected, a reply or NOTIFY from a remote party that changes nothing). */
#define LP_LOG_REQ_PER_SEC 10
typedef struct lp_log_rl {
	long start;			 /* start of the current window, 0: none yet */
	int lines;			 /* lines logged in that window */
	unsigned int missed; /* suppressed since the last line logged */
} lp_log_rl_t;

/* May a line of the site go out at `now` (seconds, > 0)? 1: yes, and
 * *missed (if not NULL) is the number suppressed since the last line
 * logged, to mention in this one (then reset); 0: suppressed and counted.
 * For glue that logs through its host's own macros. */
int lp_log_rl_allow(lp_log_rl_t *rl, long now, int burst, int period,
		unsigned int *missed);

/* Log through rl at a rate of burst lines per period seconds at time
 * `now`: 1 when logged, 0 when suppressed. */
int lp_log_rl_rate(lp_log_rl_t *rl, long now, int burst, int period,
		int level, const char *fmt, ...)
		__attribute__((format(printf, 6, 7)));

/* The default rate: one line per LP_LOG_RL_PERIOD seconds. */
int lp_log_rl_at(lp_log_rl_t *rl, long now, int level, const char *fmt, ...)
		__attribute__((format(printf, 4, 5)));

/* One rate-limited log site: LP_LOG_RATE(10, 1, LP_L_INFO, "fmt", ...)
 * (burst lines per period seconds) or LP_LOG_LIMITED(LP_L_INFO, "fmt", ...)
 * (the default rate). */
#define LP_LOG_RATE(burst, period, level, ...)                       \
	do {                                                             \
		static lp_log_rl_t lp_rl_site_;                              \
		lp_log_rl_rate(&lp_rl_site_, lp_log_now(), (burst), (period), \
				(level), __VA_ARGS__);                               \
	} while(0)
#define LP_LOG_LIMITED(level, ...) \
	LP_LOG_RATE(1, LP_LOG_RL_PERIOD, (level), __VA_ARGS__)
/* Seconds of a monotonic clock, never 0. */
long lp_log_now(void);

#endif
