package sms

import (
	"strings"
	"unicode"
)

// Keyword is what an inbound text asks for.
type Keyword int

// Inbound keyword kinds.
const (
	KeywordNone Keyword = iota
	KeywordStop
	KeywordStart
	KeywordHelp
)

// keywordEntry is one accepted spelling, with the language a reply to it should use. Entries
// with lang "" are the English carrier keywords Twilio's Advanced Opt-Out already answers itself;
// we record them but send no reply of our own, so the family does not get two confirmations.
type keywordEntry struct {
	kind Keyword
	lang string
}

// keywords lists every accepted spelling after normalizeKeyword (upper case, no spaces or
// punctuation). English: Twilio's defaults. Others: the plain imperative ("stop", "start", "help")
// in each shipped language, with and without diacritics where phones often drop them.
func keywords() map[string]keywordEntry {
	m := map[string]keywordEntry{}
	add := func(kind Keyword, lang string, words ...string) {
		for _, w := range words {
			m[normalizeKeyword(w)] = keywordEntry{kind, lang}
		}
	}
	add(KeywordStop, "", "STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT")
	add(KeywordStart, "", "START", "UNSTOP", "YES")
	add(KeywordHelp, "", "HELP", "INFO")
	// Spanish
	add(KeywordStop, "es", "PARAR", "ALTO", "DETENER", "BAJA", "CANCELAR")
	add(KeywordStart, "es", "COMENZAR", "INICIAR", "ALTA")
	add(KeywordHelp, "es", "AYUDA")
	// Portuguese (PARAR and CANCELAR answer in Spanish, the larger group; both read them)
	add(KeywordStop, "pt", "SAIR", "PARE")
	add(KeywordStart, "pt", "RECOMEÇAR", "RECOMECAR")
	add(KeywordHelp, "pt", "AJUDA")
	// Chinese (Simplified)
	add(KeywordStop, "zh-Hans", "停止", "退订", "取消")
	add(KeywordStart, "zh-Hans", "开始", "订阅")
	add(KeywordHelp, "zh-Hans", "帮助")
	// Vietnamese
	add(KeywordStop, "vi", "DỪNG", "DUNG", "HỦY", "HUY", "NGỪNG", "NGUNG")
	add(KeywordStart, "vi", "BẮT ĐẦU", "BAT DAU")
	add(KeywordHelp, "vi", "GIÚP", "GIUP", "TRỢ GIÚP", "TRO GIUP")
	// Arabic
	add(KeywordStop, "ar", "توقف", "إلغاء", "الغاء", "ايقاف", "إيقاف")
	add(KeywordStart, "ar", "ابدأ", "ابدا", "بدء")
	add(KeywordHelp, "ar", "مساعدة")
	// Haitian Creole
	add(KeywordStop, "ht", "KANPE", "SISPANN", "ANILE", "RETIRE")
	add(KeywordStart, "ht", "KÒMANSE", "KOMANSE")
	add(KeywordHelp, "ht", "ÈD", "ED")
	// Somali
	add(KeywordStop, "so", "JOOJI", "JOOJI FARIIMAHA")
	add(KeywordStart, "so", "BILOW")
	add(KeywordHelp, "so", "CAAWIMO", "CAAWI")
	return m
}

// normalizeKeyword upper-cases s and drops spaces, punctuation and symbols, so " Stop. ",
// "s t o p" and "STOP!" all read STOP.
func normalizeKeyword(s string) string {
	s = strings.ToUpper(s)
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) || unicode.IsPunct(r) || unicode.IsSymbol(r) {
			return -1
		}
		return r
	}, s)
}

// ParseKeyword classifies an inbound text. It returns the kind and the language a reply should
// use ("" for the English carrier keywords Twilio answers itself).
func (s *Service) ParseKeyword(body string) (Keyword, string) {
	e, ok := s.keywords[normalizeKeyword(body)]
	if !ok {
		return KeywordNone, ""
	}
	return e.kind, e.lang
}
