/*
 * banned.h - C library calls berth does not use. Each has a safer
 * replacement: berth_buf for strings, berth_parse_long() for numbers.
 * Included last by compat.h, after the system headers that declare them.
 */
#ifndef BERTH_BANNED_H
#define BERTH_BANNED_H

#define BANNED(func) sorry_##func##_is_banned_in_berth

#undef strcpy
#define strcpy(x, y) BANNED(strcpy)
#undef strcat
#define strcat(x, y) BANNED(strcat)
#undef strncpy
#define strncpy(x, y, n) BANNED(strncpy)
#undef strncat
#define strncat(x, y, n) BANNED(strncat)
#undef sprintf
#define sprintf(...) BANNED(sprintf)
#undef vsprintf
#define vsprintf(...) BANNED(vsprintf)
#undef gets
#define gets(x) BANNED(gets)
#undef atoi
#define atoi(x) BANNED(atoi)
#undef atol
#define atol(x) BANNED(atol)
#undef atoll
#define atoll(x) BANNED(atoll)
#undef strtok
#define strtok(x, y) BANNED(strtok)

#endif
