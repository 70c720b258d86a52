/* presence_b2b timing rules: when a subscription is first sent, refreshed
 * and retried. Pure functions of the configuration and the clock. */
#include "b2b_logic.h"

unsigned int pb2b_refresh_time(
		const pb2b_cfg_t *cfg, unsigned int last_sent, unsigned int expires_at)
{
	unsigned int delta = cfg->resubscribe_delta > 0 ? cfg->resubscribe_delta : 0;
	unsigned int min = cfg->min_resubscribe_time > 0 ? cfg->min_resubscribe_time
													  : 0;
	unsigned int t = expires_at > delta ? expires_at - delta : 0;

	return t < last_sent + min ? last_sent + min : t;
}

unsigned int pb2b_first_send_time(
		const pb2b_cfg_t *cfg, unsigned int now, unsigned int rnd)
{
	if(cfg->max_subscribe_delay <= 0)
		return now;
	return now + rnd % ((unsigned int)cfg->max_subscribe_delay + 1);
}

unsigned int pb2b_retry_time(const pb2b_cfg_t *cfg, unsigned int now)
{
	return now + (cfg->on_error_retry_time > 0 ? cfg->on_error_retry_time : 0);
}

unsigned int pb2b_retry_after_time(
		unsigned int base, unsigned int now, int retry_after)
{
	if(retry_after < 0)
		return base;
	return now
		   + (unsigned int)(retry_after < PB2B_MAX_DELTA ? retry_after
														 : PB2B_MAX_DELTA);
}
