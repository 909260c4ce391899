/*
 * sim_kube_select.c - label and field selectors of the simulated
 * Kubernetes API, after apimachinery pkg/labels/selector.go:
 *
 *   <selector>    ::= <requirement> | <requirement> "," <selector>   (AND)
 *   <requirement> ::= [!] KEY [ ("in"|"notin") "(" v1,v2 ")"
 *                             | ("="|"=="|"!="|">"|"<") VALUE ]
 *
 * KEY alone tests existence, !KEY absence; "!=" and "notin" also match
 * objects without the label; ">" and "<" compare integers. Keys must be
 * qualified names and values valid label values, as the real parser
 * checks. Field selectors accept "=", "==" and "!=" on known fields.
 */
#include "compat.h"
#include "sim_kube.h"
#include "buf.h"
#include "util.h"
#include "xalloc.h"

enum sel_op {
	SEL_EXISTS,
	SEL_NOT_EXISTS,
	SEL_EQ,
	SEL_NE,
	SEL_IN,
	SEL_NOTIN,
	SEL_GT,
	SEL_LT,
};

struct sel_req {
	char *key;
	enum sel_op op;
	char **values;
	size_t nvalues;
	long long num; /* SEL_GT, SEL_LT */
};

struct sim_kube_selector {
	struct sel_req *reqs;
	size_t n, alloc;
};

/* ---- lexer ------------------------------------------------------------------- */

enum tok {
	TOK_END,
	TOK_IDENT,
	TOK_NOT,       /* ! */
	TOK_EQ,        /* = */
	TOK_DEQ,       /* == */
	TOK_NE,        /* != */
	TOK_GT,        /* > */
	TOK_LT,        /* < */
	TOK_IN,
	TOK_NOTIN,
	TOK_OPEN,
	TOK_CLOSE,
	TOK_COMMA,
};

struct lexer {
	const char *p;
	enum tok tok; /* the current (looked-ahead) token */
	char *lit;    /* its text */
};

static bool special(char c)
{
	return c == '!' || c == '=' || c == '(' || c == ')' || c == ',' || c == '<' || c == '>';
}

static bool space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Scan the next token into lx->tok/lit. In value context in/notin are identifiers. */
static void scan(struct lexer *lx, bool values)
{
	const char *p = lx->p, *start;

	free(lx->lit);
	lx->lit = NULL;
	while (space(*p))
		p++;
	start = p;
	if (!*p) {
		lx->tok = TOK_END;
		lx->lit = xstrdup("");
	} else if (special(*p)) {
		if ((p[0] == '=' || p[0] == '!') && p[1] == '=')
			p += 2;
		else
			p++;
		lx->lit = xstrndup(start, (size_t)(p - start));
		if (!strcmp(lx->lit, "!"))
			lx->tok = TOK_NOT;
		else if (!strcmp(lx->lit, "="))
			lx->tok = TOK_EQ;
		else if (!strcmp(lx->lit, "=="))
			lx->tok = TOK_DEQ;
		else if (!strcmp(lx->lit, "!="))
			lx->tok = TOK_NE;
		else if (!strcmp(lx->lit, ">"))
			lx->tok = TOK_GT;
		else if (!strcmp(lx->lit, "<"))
			lx->tok = TOK_LT;
		else if (!strcmp(lx->lit, "("))
			lx->tok = TOK_OPEN;
		else if (!strcmp(lx->lit, ")"))
			lx->tok = TOK_CLOSE;
		else
			lx->tok = TOK_COMMA;
	} else {
		while (*p && !space(*p) && !special(*p))
			p++;
		lx->lit = xstrndup(start, (size_t)(p - start));
		if (!values && !strcmp(lx->lit, "in"))
			lx->tok = TOK_IN;
		else if (!values && !strcmp(lx->lit, "notin"))
			lx->tok = TOK_NOTIN;
		else
			lx->tok = TOK_IDENT;
	}
	lx->p = p;
}

/* Peek at the next token without consuming it. */
static enum tok peek(struct lexer *lx, bool values, char **lit)
{
	struct lexer copy = { .p = lx->p, .lit = NULL };

	scan(&copy, values);
	if (lit)
		*lit = copy.lit;
	else
		free(copy.lit);
	return copy.tok;
}

/* ---- parser ------------------------------------------------------------------- */

static void req_release(struct sel_req *r)
{
	free(r->key);
	for (size_t i = 0; i < r->nvalues; i++)
		free(r->values[i]);
	free(r->values);
}

static void add_value(struct sel_req *r, const char *v)
{
	for (size_t i = 0; i < r->nvalues; i++)
		if (!strcmp(r->values[i], v))
			return;
	r->values = xrealloc(r->values, sizeof(*r->values) * (r->nvalues + 1));
	r->values[r->nvalues++] = xstrdup(v);
}

static char *first_msg(json_t *msgs)
{
	char *s = xstrdup(json_string_value(json_array_get(msgs, 0)));

	json_decref(msgs);
	return s;
}

/* NewRequirement's checks. Returns NULL or an error (new string). */
static char *check_req(struct sel_req *r)
{
	json_t *msgs = json_array();
	char *q, *m, *e;

	if (!sim_kube_check_qualified_name(r->key, msgs)) {
		q = sim_kube_goquote(r->key);
		m = first_msg(msgs);
		e = xasprintf("key: Invalid value: %s: %s", q, m);
		free(q);
		free(m);
		return e;
	}
	if ((r->op == SEL_IN || r->op == SEL_NOTIN) && !r->nvalues) {
		json_decref(msgs);
		return xstrdup("values: Invalid value: []string{}: for 'in', 'notin' operators, "
			       "values set can't be empty");
	}
	if ((r->op == SEL_EQ || r->op == SEL_NE) && r->nvalues != 1) {
		json_decref(msgs);
		return xstrdup("values: Invalid value: exact-match compatibility requires one "
			       "single value");
	}
	if (r->op == SEL_GT || r->op == SEL_LT) {
		if (r->nvalues != 1 || berth_parse_long(r->values[0], LLONG_MIN, LLONG_MAX, &r->num)) {
			q = sim_kube_goquote(r->nvalues ? r->values[0] : "");
			e = xasprintf("values[0]: Invalid value: %s: for 'Gt', 'Lt' operators, the "
				      "value must be an integer", q);
			free(q);
			json_decref(msgs);
			return e;
		}
	}
	for (size_t i = 0; i < r->nvalues; i++) {
		if (r->op == SEL_GT || r->op == SEL_LT)
			break;
		if (!sim_kube_check_label_value(r->values[i], msgs)) {
			q = sim_kube_goquote(r->values[i]);
			m = first_msg(msgs);
			e = xasprintf("values[%zu]: Invalid value: %s: %s", i, q, m);
			free(q);
			free(m);
			return e;
		}
	}
	json_decref(msgs);
	return NULL;
}

static char *parse_requirement(struct lexer *lx, struct sel_req *r)
{
	char *lit = NULL, *e;

	/* key and the inferred operator */
	scan(lx, true);
	if (lx->tok == TOK_NOT) {
		scan(lx, true);
		if (lx->tok != TOK_IDENT)
			return xasprintf("found '%s', expected: identifier", lx->lit);
		r->key = xstrdup(lx->lit);
		r->op = SEL_NOT_EXISTS;
		return check_req(r);
	}
	if (lx->tok != TOK_IDENT)
		return xasprintf("found '%s', expected: identifier", lx->lit);
	r->key = xstrdup(lx->lit);
	switch (peek(lx, true, NULL)) {
	case TOK_END:
	case TOK_COMMA:
		r->op = SEL_EXISTS;
		return check_req(r);
	default:
		break;
	}
	/* operator */
	scan(lx, false);
	switch (lx->tok) {
	case TOK_EQ:
	case TOK_DEQ:
		r->op = SEL_EQ;
		break;
	case TOK_NE:
		r->op = SEL_NE;
		break;
	case TOK_GT:
		r->op = SEL_GT;
		break;
	case TOK_LT:
		r->op = SEL_LT;
		break;
	case TOK_IN:
		r->op = SEL_IN;
		break;
	case TOK_NOTIN:
		r->op = SEL_NOTIN;
		break;
	default:
		return xasprintf("found '%s', expected: in, notin, =, ==, !=, gt, lt", lx->lit);
	}
	/* values */
	if (r->op == SEL_IN || r->op == SEL_NOTIN) {
		scan(lx, true);
		if (lx->tok != TOK_OPEN)
			return xasprintf("found '%s', expected: '('", lx->lit);
		if (peek(lx, true, NULL) == TOK_CLOSE) {
			/* "in ()" is the set {""} */
			scan(lx, true);
			add_value(r, "");
			return check_req(r);
		}
		for (;;) {
			enum tok t = peek(lx, true, &lit);

			if (t == TOK_IDENT) {
				scan(lx, true);
				add_value(r, lx->lit);
				t = peek(lx, true, NULL);
				free(lit);
				lit = NULL;
				if (t == TOK_CLOSE) {
					scan(lx, true);
					break;
				}
				if (t != TOK_COMMA) {
					scan(lx, true);
					return xasprintf("found '%s', expected: ',' or ')'", lx->lit);
				}
				scan(lx, true);
			} else if (t == TOK_COMMA || t == TOK_CLOSE) {
				/* an empty element ("a,,b" or "a,)") is the empty string */
				free(lit);
				lit = NULL;
				add_value(r, "");
				scan(lx, true);
				if (t == TOK_CLOSE)
					break;
			} else {
				e = xasprintf("found '%s', expected: ',', ')' or identifier", lit);
				free(lit);
				return e;
			}
		}
		return check_req(r);
	}
	switch (peek(lx, true, NULL)) {
	case TOK_END:
	case TOK_COMMA:
		add_value(r, "");
		return check_req(r);
	case TOK_IDENT:
		scan(lx, true);
		add_value(r, lx->lit);
		return check_req(r);
	default:
		scan(lx, true);
		return xasprintf("found '%s', expected: identifier", lx->lit);
	}
}

struct sim_kube_selector *sim_kube_selector_parse(const char *s, char **err)
{
	struct sim_kube_selector *sel = xcalloc(1, sizeof(*sel));
	struct lexer lx = { .p = s ? s : "", .lit = NULL };
	char *e = NULL, *lit = NULL;

	*err = NULL;
	for (;;) {
		enum tok t = peek(&lx, true, &lit);
		struct sel_req r = { 0 };

		if (t == TOK_END)
			break;
		if (t != TOK_IDENT && t != TOK_NOT) {
			e = xasprintf("found '%s', expected: !, identifier, or 'end of string'", lit);
			goto out;
		}
		e = parse_requirement(&lx, &r);
		if (e) {
			char *w = xasprintf("unable to parse requirement: %s", e);

			free(e);
			e = w;
			req_release(&r);
			goto out;
		}
		BERTH_ALLOC_GROW(sel->reqs, sel->n + 1, sel->alloc);
		sel->reqs[sel->n++] = r;
		scan(&lx, true);
		if (lx.tok == TOK_END)
			break;
		if (lx.tok != TOK_COMMA) {
			e = xasprintf("found '%s', expected: ',' or 'end of string'", lx.lit);
			goto out;
		}
		free(lit);
		lit = NULL;
		t = peek(&lx, true, &lit);
		if (t != TOK_IDENT && t != TOK_NOT) {
			e = xasprintf("found '%s', expected: identifier after ','", lit);
			goto out;
		}
		free(lit);
		lit = NULL;
	}
out:
	free(lit);
	free(lx.lit);
	if (e) {
		sim_kube_selector_free(sel);
		sel = NULL;
		*err = e;
	}
	return sel;
}

struct sim_kube_selector *sim_kube_field_selector_parse(const char *s, const char *const *allowed,
							 char **err)
{
	struct sim_kube_selector *sel = xcalloc(1, sizeof(*sel));
	char *copy = xstrdup(s ? s : ""), *save = NULL, *term;

	*err = NULL;
	for (term = strtok_r(copy, ",", &save); term; term = strtok_r(NULL, ",", &save)) {
		struct sel_req r = { 0 };
		char *op = strpbrk(term, "!=");
		bool known = false;

		while (*term == ' ')
			term++;
		if (!*term)
			continue;
		if (!op) {
			*err = xasprintf("invalid selector: '%s'; can't understand '%s'", s, term);
			goto out;
		}
		if (op[0] == '!' && op[1] == '=') {
			r.op = SEL_NE;
			*op = '\0';
			op += 2;
		} else if (op[0] == '=' && op[1] == '=') {
			r.op = SEL_EQ;
			*op = '\0';
			op += 2;
		} else if (op[0] == '=') {
			r.op = SEL_EQ;
			*op = '\0';
			op += 1;
		} else {
			*err = xasprintf("invalid selector: '%s'; can't understand '%s'", s, term);
			goto out;
		}
		for (size_t i = 0; allowed[i]; i++)
			if (!strcmp(allowed[i], term))
				known = true;
		if (!known) {
			struct berth_buf b = BERTH_BUF_INIT;

			for (size_t i = 0; allowed[i]; i++)
				berth_buf_addf(&b, "%s\"%s\"", i ? ", " : "", allowed[i]);
			*err = xasprintf("\"%s\" is not a known field selector: only %s", term, b.buf);
			berth_buf_release(&b);
			goto out;
		}
		r.key = xstrdup(term);
		add_value(&r, op);
		BERTH_ALLOC_GROW(sel->reqs, sel->n + 1, sel->alloc);
		sel->reqs[sel->n++] = r;
	}
out:
	free(copy);
	if (*err) {
		sim_kube_selector_free(sel);
		sel = NULL;
	}
	return sel;
}

/* ---- matching ------------------------------------------------------------------- */

static bool in_values(const struct sel_req *r, const char *v)
{
	for (size_t i = 0; i < r->nvalues; i++)
		if (!strcmp(r->values[i], v))
			return true;
	return false;
}

static bool req_match(const struct sel_req *r, const json_t *labels)
{
	const char *v = json_string_value(json_object_get(labels, r->key));
	long long n;

	switch (r->op) {
	case SEL_EXISTS:
		return v != NULL;
	case SEL_NOT_EXISTS:
		return v == NULL;
	case SEL_EQ:
	case SEL_IN:
		return v && in_values(r, v);
	case SEL_NE:
	case SEL_NOTIN:
		return !v || !in_values(r, v);
	case SEL_GT:
		return v && !berth_parse_long(v, LLONG_MIN, LLONG_MAX, &n) && n > r->num;
	case SEL_LT:
		return v && !berth_parse_long(v, LLONG_MIN, LLONG_MAX, &n) && n < r->num;
	}
	return false;
}

bool sim_kube_selector_match(const struct sim_kube_selector *sel, const json_t *labels)
{
	for (size_t i = 0; sel && i < sel->n; i++)
		if (!req_match(&sel->reqs[i], labels))
			return false;
	return true;
}

bool sim_kube_selector_empty(const struct sim_kube_selector *sel)
{
	return !sel || !sel->n;
}

void sim_kube_selector_free(struct sim_kube_selector *sel)
{
	if (!sel)
		return;
	for (size_t i = 0; i < sel->n; i++)
		req_release(&sel->reqs[i]);
	free(sel->reqs);
	free(sel);
}
