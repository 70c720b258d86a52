/* Body framing of received SIP messages (see lp_frame.h). */
#include "lp_frame.h"

int lp_frame_body(char *start, long avail, int has_cl, long cl, lp_str_t *body)
{
	long len;

	*body = LP_STR_NULL;
	if(avail < 0 || (has_cl && cl < 0))
		return -1;
	len = has_cl ? cl : avail;
	if(len > avail)
		return -1; /* truncated: Content-Length promises bytes not received */
	if(len > 0x7fffffffL)
		return -1;
	if(len > 0 && start) {
		body->s = start;
		body->len = (int)len;
	}
	return 0;
}
