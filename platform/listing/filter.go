package listing

import (
	"fmt"
	"strings"
	"unicode"

	"github.com/seamhq/seam/platform/errs"
)

// Op is a comparison in a filter.
type Op string

// The comparisons a filter may use.
const (
	Eq Op = "="
	Ne Op = "!="
	Lt Op = "<"
	Le Op = "<="
	Gt Op = ">"
	Ge Op = ">="
)

// Condition is one `field op value` term of a filter.
type Condition struct {
	Field string
	Op    Op
	Value string
}

// MaxFilterLength bounds a filter expression.
const MaxFilterLength = 2000

// ParseFilter parses a filter of the form
//
//	field = "value" AND other != 42 AND stage = STAGE_PROPOSAL
//
// Values are double-quoted strings (with \" and \\ escapes), or bare words
// of letters, digits, '_', '-', '.' and ':'. Only the named fields may
// appear. Errors are InvalidArgument on the "filter" field.
func ParseFilter(s string, fields ...string) ([]Condition, error) {
	if len(s) > MaxFilterLength {
		return nil, errs.Invalid("filter", "is longer than %d characters", MaxFilterLength)
	}
	p := parser{src: s}
	conds, err := p.parse()
	if err != nil {
		return nil, errs.Invalid("filter", "%v", err)
	}
	for _, c := range conds {
		if !contains(fields, c.Field) {
			return nil, errs.Invalid("filter", "unknown field %q (filterable: %s)", c.Field, strings.Join(fields, ", "))
		}
	}
	return conds, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

type parser struct {
	src string
	pos int
}

func (p *parser) parse() ([]Condition, error) {
	var out []Condition
	p.space()
	if p.pos == len(p.src) {
		return nil, nil
	}
	for {
		c, err := p.condition()
		if err != nil {
			return nil, err
		}
		out = append(out, c)
		p.space()
		if p.pos == len(p.src) {
			return out, nil
		}
		word := p.word()
		if word != "AND" {
			return nil, fmt.Errorf("expected AND at position %d, found %q", p.pos-len(word), word)
		}
		p.space()
	}
}

func (p *parser) condition() (Condition, error) {
	start := p.pos
	field := p.word()
	if field == "" || !isIdent(field) {
		return Condition{}, fmt.Errorf("expected a field name at position %d", start)
	}
	p.space()
	op, err := p.op()
	if err != nil {
		return Condition{}, err
	}
	p.space()
	value, err := p.value()
	if err != nil {
		return Condition{}, err
	}
	return Condition{Field: field, Op: op, Value: value}, nil
}

func (p *parser) op() (Op, error) {
	for _, op := range []Op{Le, Ge, Ne, Eq, Lt, Gt} {
		if strings.HasPrefix(p.src[p.pos:], string(op)) {
			p.pos += len(op)
			return op, nil
		}
	}
	return "", fmt.Errorf("expected one of = != < <= > >= at position %d", p.pos)
}

func (p *parser) value() (string, error) {
	if p.pos < len(p.src) && p.src[p.pos] == '"' {
		var b strings.Builder
		for i := p.pos + 1; i < len(p.src); i++ {
			switch c := p.src[i]; c {
			case '\\':
				if i+1 == len(p.src) {
					return "", fmt.Errorf("unfinished escape at position %d", i)
				}
				i++
				b.WriteByte(p.src[i])
			case '"':
				p.pos = i + 1
				return b.String(), nil
			default:
				b.WriteByte(c)
			}
		}
		return "", fmt.Errorf("unterminated string starting at position %d", p.pos)
	}
	start := p.pos
	w := p.word()
	if w == "" {
		return "", fmt.Errorf("expected a value at position %d", start)
	}
	return w, nil
}

func (p *parser) word() string {
	start := p.pos
	for p.pos < len(p.src) {
		r := rune(p.src[p.pos])
		if !(unicode.IsLetter(r) || unicode.IsDigit(r) || strings.ContainsRune("_-.:", r)) || r >= unicode.MaxASCII {
			break
		}
		p.pos++
	}
	return p.src[start:p.pos]
}

func (p *parser) space() {
	for p.pos < len(p.src) && (p.src[p.pos] == ' ' || p.src[p.pos] == '\t' || p.src[p.pos] == '\n') {
		p.pos++
	}
}

func isIdent(s string) bool {
	for i, r := range s {
		if !(r == '_' || unicode.IsLetter(r) || (i > 0 && unicode.IsDigit(r))) {
			return false
		}
	}
	return true
}
