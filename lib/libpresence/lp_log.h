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

#endif
