/* test_sanitize.c - every hostile byte comes out visible and inert. */
#include <string.h>

#include "sanitize.h"
#include "tap.h"

static const char *clean(const char *src, size_t len)
{
	static char buf[512];

	sanitize_text(src, len, buf, sizeof(buf));
	return buf;
}

#define CLEAN(lit) clean(lit, sizeof(lit) - 1)

/* True when s holds no C0 control, DEL or raw C1 byte. */
static int inert(const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c < 0x20 || c == 0x7f)
			return 0;
	}
	return 1;
}

int main(void)
{
	char small[8];
	size_t n;

	is_str(CLEAN("Illegal port 25 > IN=eth2 SRC=192.0.2.66"), "Illegal port 25 > IN=eth2 SRC=192.0.2.66",
	       "printable ASCII passes unchanged");
	is_str(CLEAN("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x93\xa7"), "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x93\xa7",
	       "valid UTF-8 passes unchanged");
	is_str(CLEAN("\x1b[2J\x1b[31mred"), "\\x1b[2J\\x1b[31mred", "CSI sequences are defused");
	is_str(CLEAN("\x1b]0;owned\x07"), "\\x1b]0;owned\\x07", "OSC title sequence is defused");
	is_str(CLEAN("\x1bP1$r\x1b\\"), "\\x1bP1$r\\x1b\\", "DCS sequence is defused");
	is_str(CLEAN("a\r\nb\bc\td"), "a\\x0d\\x0ab\\x08c\\x09d", "CR, LF, BS and TAB are escaped");
	is_str(CLEAN("x\x7fy"), "x\\x7fy", "DEL is escaped");
	is_str(CLEAN("a\0b"), "a\\x00b", "NUL inside the length is escaped");
	is_str(CLEAN("\xc2\x9b" "31m"), "\\u009b31m", "C1 CSI (U+009B) is escaped");
	is_str(CLEAN("\x9b" "31m"), "\\x9b31m", "a raw C1 byte is invalid UTF-8 and escaped");
	is_str(CLEAN("evil\xe2\x80\xaetxt.exe"), "evil\\u202etxt.exe", "RLO bidi override is escaped");
	is_str(CLEAN("\xe2\x80\xaa\xe2\x81\xa6\xe2\x81\xa9"), "\\u202a\\u2066\\u2069",
	       "bidi embeddings and isolates are escaped");
	is_str(CLEAN("a\xe2\x80\xa8" "b"), "a\\u2028b", "a line separator is escaped");
	is_str(CLEAN("\xc0\xaf"), "\\xc0\\xaf", "overlong encoding is invalid");
	is_str(CLEAN("\xed\xa0\x80"), "\\xed\\xa0\\x80", "a UTF-16 surrogate is invalid");
	is_str(CLEAN("\xf4\x90\x80\x80"), "\\xf4\\x90\\x80\\x80", "beyond U+10FFFF is invalid");
	is_str(CLEAN("ab\xe2\x82"), "ab\\xe2\\x82", "truncated sequence at the end is invalid");
	is_str(CLEAN("\xe2(x"), "\\xe2(x", "a lead byte without continuation is escaped alone");

	{
		char all[256], out[2048];
		int i;

		for (i = 0; i < 256; i++)
			all[i] = (char)i;
		sanitize_text(all, sizeof(all), out, sizeof(out));
		ok(inert(out), "every byte value comes out without a control character");
	}

	n = sanitize_text("abcdefghij", 10, small, sizeof(small));
	is_int(n, 10, "return value is the full length, like snprintf");
	is_str(small, "abcdefg", "output is cut to the buffer and NUL-terminated");

	n = sanitize_text("abcd\x1b", 5, small, sizeof(small));
	is_int(n, 8, "full length counts the escape");
	is_str(small, "abcd", "an escape that does not fit is left out whole");

	n = sanitize_text("ab\xc3\xa9\xc3\xa9\xc3\xa9", 8, small, sizeof(small));
	is_str(small, "ab\xc3\xa9\xc3\xa9", "cut at a character boundary, never inside UTF-8");

	n = sanitize_text("abc", 3, NULL, 0);
	is_int(n, 3, "size 0 only measures");

	n = sanitize_text("", 0, small, sizeof(small));
	ok(n == 0 && small[0] == '\0', "empty input gives an empty string");

	return tap_done();
}
