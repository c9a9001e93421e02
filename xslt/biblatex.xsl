<?xml version="1.0" encoding="UTF-8"?>
<!--
  biblatex entry: letters @letter (recipient in titleaddon), the newspaper article
  @article with entrysubtype newspaper, other documents @misc, the edition @collection.
  Every document entry carries the edition (howpublished / note), its editors, the
  permalink, language and origlanguage, and the full ISO date. The standard styles print
  @letter as @misc, which has no booktitle or publisher: the edition is named in
  howpublished, and its editors in editor only (so they are not printed twice).
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
  <xsl:import href="common/bibtex-common.xsl"/>

  <xsl:output method="text" encoding="UTF-8"/>

  <xsl:template match="/">
    <xsl:variable name="r" select="te:record((tei:TEI, tei:teiCorpus/tei:TEI, //tei:TEI)[1])"/>
    <xsl:variable name="entry-type" select="map{'letter':'letter', 'document':'misc', 'article-newspaper':'article', 'edition':'collection'}($r/@type)"/>
    <xsl:variable name="fields" as="xs:string*">
      <xsl:sequence select="te:field('author', te:names($r/te:author))"/>
      <xsl:sequence select="te:field('editor', te:names($r/te:editor))"/>
      <xsl:sequence select="te:field('title', te:tex($r/te:title))"/>
      <xsl:sequence select="te:field('titleaddon', te:tex(if ($r/te:recipient) then 'Letter to ' || string-join($r/te:recipient ! te:display-name(.), ' and ') else ()))"/>
      <xsl:if test="$r/@type = 'article-newspaper'">
        <xsl:sequence select="te:field('entrysubtype', 'newspaper')"/>
        <xsl:sequence select="te:field('journaltitle', te:tex($r/te:periodical))"/>
      </xsl:if>
      <xsl:sequence select="te:field('howpublished', te:tex(te:container-phrase($r, false()))[$r/@type = ('letter', 'document')])"/>
      <xsl:sequence select="te:field('note', te:tex(if ($r/@type = 'article-newspaper' and $r/te:container) then 'Also in: ' || te:container-phrase($r, false()) else ()))"/>
      <xsl:sequence select="te:field('publisher', te:tex($r/te:publisher)[$r/@type = 'edition'])"/>
      <xsl:sequence select="te:field('location', te:tex($r/te:place)[$r/@type != 'edition'])"/>
      <xsl:sequence select="te:field('date', te:iso-date($r/te:date/@iso))"/>
      <xsl:sequence select="te:field('version', te:tex($r/te:version)[$r/@type = 'edition'])"/>
      <xsl:sequence select="te:field('url', $r/te:url)"/>
      <xsl:sequence select="te:field('langid', lower-case($r/te:language/@name))"/>
      <xsl:sequence select="te:field('language', lower-case($r/te:language/@name))"/>
      <xsl:sequence select="te:field('origlanguage', lower-case($r/te:original-language/@name))"/>
    </xsl:variable>
    <xsl:value-of select="'@' || $entry-type || '{' || $r/@key || ',&#10;' || string-join($fields, ',&#10;') || '&#10;}&#10;'"/>
  </xsl:template>

  <!-- biblatex dates: YYYY, YYYY-MM or YYYY-MM-DD. -->
  <xsl:function name="te:iso-date" as="xs:string?">
    <xsl:param name="iso" as="xs:string?"/>
    <xsl:variable name="d" select="te:date-parts($iso)"/>
    <xsl:sequence select="if (empty($d)) then () else string-join((format-number($d[1], '0000'),
      $d[position() gt 1] ! format-number(., '00')), '-')"/>
  </xsl:function>

</xsl:stylesheet>
