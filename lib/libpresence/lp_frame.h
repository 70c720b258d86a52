/* Message framing of untrusted SIP input: which bytes of a received
 * message are its body. Kamailio's core parses Content-Length but does not
 * compare it with what a UDP datagram actually carries, so every module
 * takes its request or reply body through lp_frame_body (via the glue's
 * lp_kam_body) and never reads past the received bytes. */
#ifndef LP_FRAME_H
#define LP_FRAME_H

#include "lp_str.h"

/* lp_frame_body: the body of a message whose body bytes start at `start`
 * and whose received bytes end `avail` bytes later.
 *   has_cl 0: no Content-Length (allowed over UDP): all avail bytes.
 *   has_cl 1: exactly `cl` bytes; fewer received than cl is a framing error
 *             (RFC 3261 s18.3: the message is answered 400); more received
 *             than cl: the rest is not part of the message and is ignored.
 * Returns 0 and sets *body ({NULL,0} for an empty body), or -1 with *body
 * {NULL,0} on a framing error (negative cl or avail, cl beyond avail).
 * *body points into the caller's buffer; nothing is allocated. */
int lp_frame_body(char *start, long avail, int has_cl, long cl, lp_str_t *body);

#endif
