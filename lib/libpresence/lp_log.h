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

/* Rate limit of one log site: messages of a site that a remote party can
 * trigger at will (a rejected request, a limit hit) must not flood the
 * log. One message per LP_LOG_RL_PERIOD seconds per site and process goes
 * out; the ones in between are counted and the next message that goes out
 * says how many were left out. The state is per process (no lock). */
#define LP_LOG_RL_PERIOD 10
typedef struct lp_log_rl {
	long last;			 /* time of the last message logged, 0: never */
	unsigned int missed; /* suppressed since */
} lp_log_rl_t;

/* Log through rl at time `now` (seconds): 1 when logged, 0 suppressed. */
int lp_log_rl_at(lp_log_rl_t *rl, long now, int level, const char *fmt, ...)
		__attribute__((format(printf, 4, 5)));

/* One rate-limited log site: LP_LOG_LIMITED(LP_L_INFO, "fmt", ...). */
#define LP_LOG_LIMITED(level, ...)                         \
	do {                                                   \
		static lp_log_rl_t lp_rl_site_;                    \
		lp_log_rl_at(&lp_rl_site_, lp_log_now(), (level), __VA_ARGS__); \
	} while(0)
long lp_log_now(void);

#endif
