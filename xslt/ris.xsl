<?xml version="1.0" encoding="UTF-8"?>
<!--
  RIS record. Types: letters PCOMM (recipient in A2), the newspaper article NEWS
  (newspaper in T2), other documents GOVDOC when issued by governments, else MANSCPT,
  the edition EDBOOK. The edition holding a document is its secondary title T2 with the
  editors in ED (A2 is a letter's recipient); for the newspaper article it is the series,
  T3 with the editors in A3 (EDBOOK: title TI, editors A2). Persons "Family, Given";
  institutions without a comma (so reference managers keep them whole). Ends with "ER  - ".
  Params: base-url, context (see common/metadata.xsl).
-->
<xsl:stylesheet version="3.0"
  xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
  xmlns:xs="http://www.w3.org/2001/XMLSchema"
  xmlns:tei="http://www.tei-c.org/ns/1.0"
  xmlns:te="urn:tei-edition"
  exclude-result-prefixes="#all">

  <xsl:import href="common/functions.xsl"/>
  <xsl:import href="common/metadata.xsl"/>

  <xsl:output method="text" encoding="UTF-8"/>

  <xsl:template match="/">
    <xsl:variable name="r" select="te:record((tei:TEI, tei:teiCorpus/tei:TEI, //tei:TEI)[1])"/>
    <xsl:variable name="d" select="te:date-parts($r/te:date/@iso)"/>
    <xsl:variable name="type" select="
      if ($r/@type = 'letter') then 'PCOMM'
      else if ($r/@type = 'article-newspaper') then 'NEWS'
      else if ($r/@type = 'edition') then 'EDBOOK'
      else if ($r/te:author[@institution] and
               (every $a in $r/te:author satisfies matches($a/@literal, 'government|ministry|council|committee', 'i'))) then 'GOVDOC'
      else 'MANSCPT'"/>
    <xsl:variable name="lines" as="xs:string*">
      <xsl:sequence select="te:ris('TY', $type)"/>
      <xsl:sequence select="$r/te:author ! te:ris('AU', te:family-first(.))"/>
      <xsl:sequence select="te:ris('TI', $r/te:title)"/>
      <xsl:choose>
        <xsl:when test="$r/@type = 'edition'">
          <xsl:sequence select="$r/te:editor ! te:ris('A2', te:family-first(.))"/>
        </xsl:when>
        <xsl:otherwise>
          <xsl:sequence select="$r/te:recipient ! te:ris('A2', te:family-first(.))"/>
          <xsl:variable name="newspaper" select="$r/@type = 'article-newspaper'"/>
          <xsl:sequence select="te:ris('T2', if ($newspaper) then $r/te:periodical else $r/te:container)"/>
          <xsl:sequence select="te:ris('T3', $r/te:container[$newspaper])"/>
          <xsl:sequence select="$r/te:editor ! te:ris(if ($newspaper) then 'A3' else 'ED', te:family-first(.))"/>
        </xsl:otherwise>
      </xsl:choose>
      <xsl:sequence select="te:ris('PY', string($d[1]))"/>
      <xsl:sequence select="te:ris('DA', if (exists($d)) then string-join(($d ! format-number(., '00')), '/') else ())"/>
      <xsl:sequence select="te:ris('CY', $r/te:place)"/>
      <xsl:sequence select="te:ris('PB', $r/te:publisher)"/>
      <xsl:sequence select="te:ris('ET', $r/te:version ! ('Version ' || .))"/>
      <xsl:sequence select="te:ris('LA', $r/te:language/@name)"/>
      <xsl:sequence select="te:ris('N1', $r/te:original-language ! ('Original language: ' || @name))"/>
      <xsl:sequence select="te:ris('UR', $r/te:url)"/>
      <xsl:sequence select="te:ris('ID', $r/@key)"/>
      <xsl:sequence select="'ER  - '"/>
    </xsl:variable>
    <xsl:value-of select="string-join($lines, '&#10;') || '&#10;'"/>
  </xsl:template>

  <!-- One tagged line (RIS values are single lines), or nothing for an empty value. -->
  <xsl:function name="te:ris" as="xs:string?">
    <xsl:param name="tag" as="xs:string"/>
    <xsl:param name="value" as="xs:string?"/>
    <xsl:sequence select="if (normalize-space($value) = '') then () else $tag || '  - ' || normalize-space($value)"/>
  </xsl:function>

</xsl:stylesheet>
