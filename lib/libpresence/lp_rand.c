/* Unguessable identifiers from the kernel's CSPRNG (see lp_rand.h). */
#include <errno.h>
#include <sys/random.h>

#include "lp_rand.h"

int lp_rand_bytes(void *buf, size_t n)
{
	unsigned char *p = buf;
	ssize_t got;

	while(n > 0) {
		got = getrandom(p, n, 0);
		if(got < 0) {
			if(errno == EINTR)
				continue;
			return -1;
		}
		p += got;
		n -= (size_t)got;
	}
	return 0;
}

int lp_rand_token(char *buf, size_t size)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char raw[LP_TOKEN_BITS / 8];
	size_t i;

	if(size <= LP_TOKEN_LEN) {
		if(size > 0)
			buf[0] = '\0';
		return -1;
	}
	if(lp_rand_bytes(raw, sizeof(raw)) < 0) {
		buf[0] = '\0';
		return -1;
	}
	for(i = 0; i < sizeof(raw); i++) {
		buf[2 * i] = hex[raw[i] >> 4];
		buf[2 * i + 1] = hex[raw[i] & 15];
	}
	buf[LP_TOKEN_LEN] = '\0';
	return LP_TOKEN_LEN;
}
