<?xml version="1.0" encoding="UTF-8"?>
<!--
  Small pure functions shared by every output: dates, safe URLs, ids, link targets.
  No document access here (doc()/unparsed-text() are refused once the engine is hardened).
-->
<xsl:stylesheet version="3.0"
  xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
  xmlns:xs="http://www.w3.org/2001/XMLSchema"
  xmlns:tei="http://www.tei-c.org/ns/1.0"
  xmlns:te="urn:tei-edition"
  exclude-result-prefixes="#all">

  <!-- Prefix for every id copied from the source, so it never clashes with the page's own ids. -->
  <xsl:param name="id-prefix" as="xs:string" select="'tei-'"/>
  <!-- Where a register entry lives: {file} = register file name without .xml, {id} = entry id. -->
  <xsl:param name="register-url" as="xs:string" select="'{file}.html#{id}'"/>
  <!-- Where another document of the edition lives: {file} = file name without .xml. -->
  <xsl:param name="document-url" as="xs:string" select="'{file}.html'"/>

  <!-- Regular expressions cost microseconds each in Saxon-HE: some functions below take a
       plain path first when the input has nothing the regex could change. -->

  <!-- A URL is kept only if relative, http, https or mailto (checked after removing
       whitespace and control characters and lower-casing); otherwise the empty string. -->
  <xsl:function name="te:safe-url" as="xs:string">
    <xsl:param name="url" as="xs:string?"/>
    <xsl:sequence select="te:checked-url(replace(string($url), '[\s\p{Cc}\p{Cf}]', ''))"/>
  </xsl:function>

  <!-- The scheme check of te:safe-url, for a URL that holds no white space or control character. -->
  <xsl:function name="te:checked-url" as="xs:string">
    <xsl:param name="clean" as="xs:string"/>
    <xsl:variable name="lower" select="lower-case($clean)"/>
    <!-- Every scheme test needs a colon: without one the URL is relative. -->
    <xsl:sequence select="
      if ($clean = '') then ''
      else if (not(contains($clean, ':'))) then $clean
      else if (matches($lower, '^[a-z][a-z0-9+.\-]*:')) then
        (if (matches($lower, '^(https?|mailto):')) then $clean else '')
      else if (matches($lower, '^[^/?#]*:')) then ''
      else $clean"/>
  </xsl:function>

  <!-- An id safe for HTML and CSS selectors, prefixed (ASCII letters, digits, _ . - stay as they are). -->
  <xsl:function name="te:html-id" as="xs:string">
    <xsl:param name="id" as="xs:string"/>
    <xsl:sequence select="$id-prefix || (if (translate($id, 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-', '') = '')
      then $id else replace($id, '[^\p{L}\p{N}_.\-]', '_'))"/>
  </xsl:function>

  <!-- A token safe inside a class attribute (ASCII letters, digits, _ and - are only lower-cased). -->
  <xsl:function name="te:class-token" as="xs:string">
    <xsl:param name="s" as="xs:string?"/>
    <xsl:sequence select="if (translate($s, 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-', '') = '')
      then lower-case($s) else lower-case(replace(normalize-space($s), '[^A-Za-z0-9_\-]+', '-'))"/>
  </xsl:function>

  <!-- The first white-space separated token of a string ('' if none). -->
  <xsl:function name="te:first-token" as="xs:string">
    <xsl:param name="s" as="xs:string?"/>
    <xsl:variable name="n" select="normalize-space($s)"/>
    <xsl:sequence select="if (contains($n, ' ')) then substring-before($n, ' ') else $n"/>
  </xsl:function>

  <!-- A path without its folders: 'a/b/c.xml' -> 'c.xml'. -->
  <xsl:function name="te:file-name" as="xs:string">
    <xsl:param name="path" as="xs:string"/>
    <xsl:sequence select="if (contains($path, '/')) then replace($path, '^.*/', '') else $path"/>
  </xsl:function>

  <!-- 'persons.xml#zhou' -> ('persons.xml', 'zhou'): file name and fragment of a pointer's first token. -->
  <xsl:function name="te:pointer-parts" as="xs:string+">
    <xsl:param name="pointer" as="xs:string"/>
    <xsl:variable name="p" select="te:first-token($pointer)"/>
    <xsl:sequence select="(te:file-name(substring-before($p || '#', '#')), substring-after($p, '#'))"/>
  </xsl:function>

  <!-- Pointer parts with the file name's .xml removed: what te:split-pointer returns. -->
  <xsl:function name="te:without-xml" as="xs:string+">
    <xsl:param name="parts" as="xs:string+"/>
    <xsl:sequence select="(if (ends-with($parts[1], '.xml')) then substring($parts[1], 1, string-length($parts[1]) - 4)
      else $parts[1], $parts[2])"/>
  </xsl:function>

  <!-- 'persons.xml#zhou' -> ('persons', 'zhou'); '#x' -> ('', 'x'); 'other.xml' -> ('other', ''). -->
  <xsl:function name="te:split-pointer" as="xs:string+">
    <xsl:param name="pointer" as="xs:string"/>
    <xsl:sequence select="te:without-xml(te:pointer-parts($pointer))"/>
  </xsl:function>

  <!-- URL of a register entry for a pointer such as 'persons.xml#zhou-enlai'. -->
  <xsl:function name="te:register-href" as="xs:string">
    <xsl:param name="pointer" as="xs:string"/>
    <xsl:sequence select="te:register-link(te:split-pointer($pointer))"/>
  </xsl:function>

  <!-- The same from the parts of te:split-pointer. It runs for every pointer of a document, so
       the usual pattern A{file}B{id}C is split once ($te:register-url-parts): the link is then
       A, file, B, id, C joined, and only its scheme needs checking (what is put in is URI-encoded:
       no brace, white space or control character). Any other pattern takes the general way
       (flag q: the placeholders are plain strings; what replaces them holds no $ or \). -->
  <xsl:function name="te:register-link" as="xs:string">
    <xsl:param name="parts" as="xs:string+"/>
    <xsl:variable name="p" select="$te:register-url-parts"/>
    <xsl:sequence select="if (exists($p))
      then te:checked-url($p[1] || encode-for-uri($parts[1]) || $p[2] || encode-for-uri($parts[2]) || $p[3])
      else te:safe-url(replace(replace($register-url, '{file}', encode-for-uri($parts[1]), 'q'), '{id}', encode-for-uri($parts[2]), 'q'))"/>
  </xsl:function>

  <!-- $register-url as (A, B, C) when it is A{file}B{id}C, with no other brace and no white space
       or control character; else empty. -->
  <xsl:variable name="te:register-url-parts" as="xs:string*" select="
    if (matches($register-url, '^[^{}\s\p{Cc}\p{Cf}]*\{file\}[^{}\s\p{Cc}\p{Cf}]*\{id\}[^{}\s\p{Cc}\p{Cf}]*$'))
    then (substring-before($register-url, '{file}'), substring-before(substring-after($register-url, '{file}'), '{id}'),
          substring-after($register-url, '{id}'))
    else ()"/>

  <!-- URL of another document (or a place in it) for a pointer such as 'note-zhou.xml#note-zhou'. -->
  <xsl:function name="te:document-href" as="xs:string">
    <xsl:param name="pointer" as="xs:string"/>
    <xsl:sequence select="te:document-link(te:split-pointer($pointer))"/>
  </xsl:function>

  <!-- The same from the parts of te:split-pointer. -->
  <xsl:function name="te:document-link" as="xs:string">
    <xsl:param name="parts" as="xs:string+"/>
    <xsl:variable name="page" select="if ($parts[1] = '') then ''
      else replace($document-url, '{file}', encode-for-uri($parts[1]), 'q')"/>
    <xsl:variable name="frag" select="if ($parts[2] = '' or $parts[2] = $parts[1]) then ''
      else '#' || te:html-id($parts[2])"/>
    <xsl:sequence select="te:safe-url($page || $frag)"/>
  </xsl:function>

  <!-- ISO date (YYYY, YYYY-MM or YYYY-MM-DD, possibly negative) -> its integer parts.
       A plain date of exactly that form is split without analyze-string (ten times dearer). -->
  <xsl:function name="te:date-parts" as="xs:integer*">
    <xsl:param name="iso" as="xs:string?"/>
    <xsl:variable name="s" select="normalize-space($iso)"/>
    <xsl:choose>
      <xsl:when test="matches($s, '^[0-9]{4}(-[0-9]{2}){0,2}$')">
        <xsl:sequence select="for $p in tokenize($s, '-', 'q') return xs:integer($p)"/>
      </xsl:when>
      <xsl:otherwise>
        <xsl:variable name="m" select="analyze-string($s, '^(-?\d{1,4})(-(\d\d))?(-(\d\d))?')"/>
        <xsl:sequence select="for $g in $m/*:match//*:group[@nr = (1, 3, 5)] return xs:integer($g)"/>
      </xsl:otherwise>
    </xsl:choose>
  </xsl:function>

  <!-- '1952-09-15' -> 'September 15, 1952'; partial dates degrade gracefully. -->
  <xsl:function name="te:format-date" as="xs:string">
    <xsl:param name="iso" as="xs:string?"/>
    <xsl:variable name="p" select="te:date-parts($iso)"/>
    <xsl:variable name="months" select="('January','February','March','April','May','June','July',
      'August','September','October','November','December')"/>
    <xsl:sequence select="
      if (count($p) = 3 and $p[2] = 1 to 12) then $months[$p[2]] || ' ' || $p[3] || ', ' || $p[1]
      else if (count($p) = 2 and $p[2] = 1 to 12) then $months[$p[2]] || ' ' || $p[1]
      else if (count($p) ge 1) then string($p[1])
      else string($iso)"/>
  </xsl:function>

  <!-- The ISO value a TEI dating element carries: @when, else @from/@notBefore, else @notAfter/@to. -->
  <xsl:function name="te:when" as="xs:string?">
    <xsl:param name="el" as="element()?"/>
    <xsl:sequence select="($el/@when, $el/@when-iso, $el/@from, $el/@notBefore, $el/@to, $el/@notAfter)[normalize-space()][1]/normalize-space()"/>
  </xsl:function>

  <!-- Language names for the codes an edition is likely to carry (else the code itself). -->
  <xsl:function name="te:language-name" as="xs:string">
    <xsl:param name="code" as="xs:string?"/>
    <xsl:variable name="names" select="map{'en':'English','zh':'Chinese','ru':'Russian','de':'German',
      'fr':'French','it':'Italian','es':'Spanish','la':'Latin','ja':'Japanese','ko':'Korean',
      'pt':'Portuguese','nl':'Dutch','pl':'Polish','cs':'Czech','el':'Greek','grc':'Ancient Greek',
      'ar':'Arabic','he':'Hebrew','uk':'Ukrainian','sv':'Swedish','da':'Danish','no':'Norwegian','fi':'Finnish','hu':'Hungarian'}"/>
    <xsl:variable name="base" select="lower-case(tokenize(string($code), '[-_]')[1])"/>
    <xsl:sequence select="($names($base), string($code))[1]"/>
  </xsl:function>

  <!-- A value made safe inside a BibTeX/biblatex brace-delimited field. -->
  <xsl:function name="te:tex" as="xs:string">
    <xsl:param name="s" as="xs:string?"/>
    <xsl:variable name="parts" as="xs:string*">
      <xsl:analyze-string select="normalize-space($s)" regex="[\\{{}}&amp;%$#_~^]">
        <xsl:matching-substring>
          <xsl:sequence select="map{'\':'\textbackslash{}', '{':'\{', '}':'\}', '&amp;':'\&amp;', '%':'\%',
            '$':'\$', '#':'\#', '_':'\_', '~':'\textasciitilde{}', '^':'\textasciicircum{}'}(.)"/>
        </xsl:matching-substring>
        <xsl:non-matching-substring><xsl:sequence select="."/></xsl:non-matching-substring>
      </xsl:analyze-string>
    </xsl:variable>
    <xsl:sequence select="string-join($parts)"/>
  </xsl:function>

</xsl:stylesheet>
