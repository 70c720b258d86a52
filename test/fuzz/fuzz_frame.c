/* libFuzzer target: body framing (lp_frame_body), which decides what part
 * of a received datagram is a message's body. The first 9 input bytes are
 * has_cl, a 32-bit Content-Length and a 32-bit count of bytes received
 * (both signed, so negative and huge values are tried); the rest is the
 * datagram. Invariant: a body always lies inside the received bytes, has
 * exactly Content-Length bytes when one was given, and a Content-Length
 * beyond the received bytes is always an error. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lp_frame.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int32_t cl, avail;
	int has_cl, rc;
	char *buf;
	lp_str_t b;
	long n;

	if(size < 9)
		return 0;
	has_cl = data[0] & 1;
	memcpy(&cl, data + 1, 4);
	memcpy(&avail, data + 5, 4);
	n = (long)(size - 9);
	if(avail > n) /* what was received never exceeds the buffer */
		avail = (int32_t)n;
	buf = malloc(n ? n : 1); /* exactly the datagram: ASan sees overreads */
	if(!buf)
		return 0;
	memcpy(buf, data + 9, n);
	rc = lp_frame_body(buf, avail, has_cl, cl, &b);
	if(rc == 0) {
		if(b.len < 0 || (b.len > 0 && (b.s < buf || b.s + b.len > buf + avail)))
			abort();
		if(has_cl && b.len != cl)
			abort();
		if(b.len)
			(void)memcmp(b.s, buf, b.len); /* read it all */
	} else if(rc != -1 || b.s || b.len) {
		abort();
	}
	if(has_cl && cl > avail && rc == 0)
		abort();
	free(buf);
	return 0;
}
