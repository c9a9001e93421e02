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

  <!-- A URL is kept only if relative, http, https or mailto (checked after removing
       whitespace and control characters and lower-casing); otherwise the empty string. -->
  <xsl:function name="te:safe-url" as="xs:string">
    <xsl:param name="url" as="xs:string?"/>
    <xsl:variable name="clean" select="replace(string($url), '[\s\p{Cc}\p{Cf}]', '')"/>
    <xsl:variable name="lower" select="lower-case($clean)"/>
    <xsl:sequence select="
      if ($clean = '') then ''
      else if (matches($lower, '^[a-z][a-z0-9+.\-]*:')) then
        (if (matches($lower, '^(https?|mailto):')) then $clean else '')
      else if (matches($lower, '^[^/?#]*:')) then ''
      else $clean"/>
  </xsl:function>

  <!-- An id safe for HTML and CSS selectors, prefixed. -->
  <xsl:function name="te:html-id" as="xs:string">
    <xsl:param name="id" as="xs:string"/>
    <xsl:sequence select="$id-prefix || replace($id, '[^\p{L}\p{N}_.\-]', '_')"/>
  </xsl:function>

  <!-- A token safe inside a class attribute. -->
  <xsl:function name="te:class-token" as="xs:string">
    <xsl:param name="s" as="xs:string?"/>
    <xsl:sequence select="lower-case(replace(normalize-space($s), '[^A-Za-z0-9_\-]+', '-'))"/>
  </xsl:function>

  <!-- 'persons.xml#zhou' -> ('persons', 'zhou'); '#x' -> ('', 'x'); 'other.xml' -> ('other', ''). -->
  <xsl:function name="te:split-pointer" as="xs:string+">
    <xsl:param name="pointer" as="xs:string"/>
    <xsl:variable name="p" select="normalize-space(tokenize(normalize-space($pointer), ' ')[1])"/>
    <xsl:variable name="file" select="if (contains($p, '#')) then substring-before($p, '#') else $p"/>
    <xsl:variable name="frag" select="if (contains($p, '#')) then substring-after($p, '#') else ''"/>
    <xsl:sequence select="(replace(replace($file, '^.*/', ''), '\.xml$', ''), $frag)"/>
  </xsl:function>

  <!-- URL of a register entry for a pointer such as 'persons.xml#zhou-enlai'. -->
  <xsl:function name="te:register-href" as="xs:string">
    <xsl:param name="pointer" as="xs:string"/>
    <xsl:variable name="parts" select="te:split-pointer($pointer)"/>
    <xsl:sequence select="te:safe-url(
      replace(replace($register-url, '\{file\}', encode-for-uri($parts[1])), '\{id\}', encode-for-uri($parts[2])))"/>
  </xsl:function>

  <!-- URL of another document (or a place in it) for a pointer such as 'note-zhou.xml#note-zhou'. -->
  <xsl:function name="te:document-href" as="xs:string">
    <xsl:param name="pointer" as="xs:string"/>
    <xsl:variable name="parts" select="te:split-pointer($pointer)"/>
    <xsl:variable name="page" select="if ($parts[1] = '') then ''
      else replace($document-url, '\{file\}', encode-for-uri($parts[1]))"/>
    <xsl:variable name="frag" select="if ($parts[2] = '' or $parts[2] = $parts[1]) then ''
      else '#' || te:html-id($parts[2])"/>
    <xsl:sequence select="te:safe-url($page || $frag)"/>
  </xsl:function>

  <!-- ISO date (YYYY, YYYY-MM or YYYY-MM-DD, possibly negative) -> its integer parts. -->
  <xsl:function name="te:date-parts" as="xs:integer*">
    <xsl:param name="iso" as="xs:string?"/>
    <xsl:variable name="m" select="analyze-string(normalize-space($iso), '^(-?\d{1,4})(-(\d\d))?(-(\d\d))?')"/>
    <xsl:sequence select="for $g in $m/*:match//*:group[@nr = (1, 3, 5)] return xs:integer($g)"/>
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
