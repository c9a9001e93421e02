<?xml version="1.0" encoding="UTF-8"?>
<!--
  BibTeX entry for a document (or the edition file): letters and documents are @misc
  (the edition in howpublished, which BibTeX styles print, and as booktitle, editor and
  publisher for the programs that read the fields), the newspaper article @article, the
  edition @book.
  Names family first ("Zhou, Enlai"); institutions in double braces.
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
    <xsl:variable name="d" select="te:date-parts($r/te:date/@iso)"/>
    <xsl:variable name="months" select="('jan','feb','mar','apr','may','jun','jul','aug','sep','oct','nov','dec')"/>
    <xsl:variable name="entry-type" select="map{'letter':'misc', 'document':'misc', 'article-newspaper':'article', 'edition':'book'}($r/@type)"/>
    <xsl:variable name="fields" as="xs:string*">
      <xsl:sequence select="te:field('author', te:names($r/te:author))"/>
      <xsl:sequence select="te:field('editor', te:names($r/te:editor)[$r/@type = ('edition', 'letter', 'document')])"/>
      <xsl:sequence select="te:field('title', te:tex($r/te:title))"/>
      <xsl:sequence select="te:field('journal', te:tex($r/te:periodical)[$r/@type = 'article-newspaper'])"/>
      <xsl:sequence select="te:field('booktitle', te:tex($r/te:container)[$r/@type = ('letter', 'document')])"/>
      <xsl:sequence select="te:field('howpublished', te:tex(te:container-phrase($r))[$r/@type = ('letter', 'document')])"/>
      <xsl:sequence select="te:field('note', te:tex(te:bib-note($r)))"/>
      <xsl:sequence select="te:field('publisher', te:tex($r/te:publisher)[$r/@type = ('edition', 'letter', 'document')])"/>
      <xsl:sequence select="te:field('address', te:tex($r/te:place)[$r/@type != 'edition'])"/>
      <xsl:sequence select="te:field('year', string($d[1]))"/>
      <xsl:if test="$d[2]"><xsl:sequence select="'  month = ' || $months[$d[2]]"/></xsl:if>
      <xsl:sequence select="te:field('url', $r/te:url)"/>
      <xsl:sequence select="te:field('language', te:tex($r/te:language/@name))"/>
    </xsl:variable>
    <xsl:value-of select="'@' || $entry-type || '{' || $r/@key || ',&#10;' || string-join($fields, ',&#10;') || '&#10;}&#10;'"/>
  </xsl:template>

  <xsl:function name="te:bib-note" as="xs:string?">
    <xsl:param name="r" as="element(te:record)"/>
    <xsl:variable name="parts" select="(
      if ($r/te:recipient) then 'Letter to ' || string-join($r/te:recipient ! te:display-name(.), ' and ') else (),
      if ($r/@type = 'article-newspaper' and $r/te:container) then 'Also in: ' || te:container-phrase($r) else (),
      $r/te:original-language ! ('Original language: ' || @name),
      $r/te:version[$r/@type = 'edition'] ! ('Version ' || .))"/>
    <xsl:sequence select="if (exists($parts)) then string-join($parts, '. ') || '.' else ()"/>
  </xsl:function>

</xsl:stylesheet>
